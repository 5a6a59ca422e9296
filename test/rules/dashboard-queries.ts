/**
 * Every PromQL query of examples/grafana/ryot-dashboard.json, with Grafana's template variables
 * replaced by values Prometheus accepts, so tests can run them against a real server:
 *
 *   for (const { panel, expr } of dashboardQueries()) await prom.query(expr);
 *
 * Panel queries come from every panel's targets (rows included, collapsed rows' nested panels too);
 * the `model` variable's label_values(metric, label) query contributes `metric`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(new URL('../../examples/grafana/ryot-dashboard.json', import.meta.url));

export interface DashboardQuery {
  /** "Row title / Panel title [refId]", or "variable <name>" for a template variable's query. */
  panel: string;
  /** The expression with the template variables substituted. */
  expr: string;
}

/**
 * Values used for Grafana's variables. `$model` is used as `model=~"$model"`; with "All" or several
 * values Grafana renders a regex, so `.+` is what a multi-value selection looks like to Prometheus.
 */
export const VARIABLE_VALUES: Readonly<Record<string, string>> = {
  model: '.+',
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/** Replaces $name, ${name}, ${name:format} and [[name]]; throws on a variable it does not know. */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>> = VARIABLE_VALUES): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (match, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`unknown template variable ${match} in: ${expr}`);
    return value;
  });
}

interface Target {
  expr?: string;
  refId?: string;
  hide?: boolean;
}
interface Panel {
  title?: string;
  type?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
}
export interface Dashboard {
  panels?: Panel[];
  templating?: { list?: Variable[] };
  [key: string]: unknown;
}

export function loadDashboard(file = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel in layout order with the title of the row it sits in (nested panels included). */
export function dashboardPanels(dashboard: Dashboard = loadDashboard()): { row: string; panel: Panel }[] {
  const out: { row: string; panel: Panel }[] = [];
  let row = '';
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') {
      row = panel.title ?? '';
      for (const nested of panel.panels ?? []) out.push({ row, panel: nested });
    } else {
      out.push({ row, panel });
    }
  }
  return out;
}

export function dashboardQueries(file = DASHBOARD_PATH): DashboardQuery[] {
  const dashboard = loadDashboard(file);
  const queries: DashboardQuery[] = [];
  for (const { row, panel } of dashboardPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string' || target.expr.trim() === '') continue;
      queries.push({ panel: `${row} / ${panel.title ?? '(untitled)'} [${target.refId ?? '?'}]`, expr: substituteVariables(target.expr) });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const labelValues = /^\s*label_values\(\s*(.+)\s*,\s*\w+\s*\)\s*$/.exec(query);
    const queryResult = /^\s*query_result\(\s*(.+)\s*\)\s*$/.exec(query);
    const expr = labelValues?.[1] ?? queryResult?.[1];
    if (expr === undefined) throw new Error(`variable ${variable.name}: unsupported query ${JSON.stringify(query)}`);
    queries.push({ panel: `variable ${variable.name}`, expr: substituteVariables(expr) });
  }
  return queries;
}
