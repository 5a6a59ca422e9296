export function findNodeGyp(env?: NodeJS.ProcessEnv): string | undefined;
export function nativeBuildEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
