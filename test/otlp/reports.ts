import { DiagLogLevel, diag, type DiagLogger } from '@opentelemetry/api';

/** How Ryot's OTLP export-health reports begin. */
export const EXPORT_REPORT = '@ryot/exporters: OTLP metrics export to';

export interface CapturedDiag {
  readonly lines: { level: string; message: string }[];
  /** Ryot's export-health reports among them. */
  exportReports(level?: 'error' | 'info'): { level: string; message: string }[];
}

/** Registers a diag logger that keeps every line (and so keeps the reports off stderr). */
export function captureDiag(): CapturedDiag {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const logger: DiagLogger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), verbose: at('verbose') };
  diag.setLogger(logger, DiagLogLevel.INFO);
  return {
    lines,
    exportReports: (level) => lines.filter((line) => line.message.startsWith(EXPORT_REPORT) && (level === undefined || line.level === level)),
  };
}
