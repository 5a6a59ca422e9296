export function findNodeGyp(env?: NodeJS.ProcessEnv): string | undefined;
export function nativeBuildEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export const PACKAGE_DIR: string;
export const BUILD_COMMAND: string;
export function findExecutable(name: string, env?: NodeJS.ProcessEnv): string | undefined;
export function missingBuildTools(env?: NodeJS.ProcessEnv): string[];
export function runNodeGypRebuild(options?: { env?: NodeJS.ProcessEnv; quiet?: boolean; cwd?: string }): { status: number; output: string };
