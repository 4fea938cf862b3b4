/** The library entry point: what embedding code (and the CLI) builds on. */
export { createApp, type AppDependencies } from './http/app.js';
export { startServer, StartupError, type RunningServer, type StartOptions } from './server.js';
export { loadConfigFile, parseConfig, ConfigError } from './config/load.js';
export type { Config } from './config/config.js';
export type { UserRecord, UserStore } from './users/user-store.js';
export type { TokenSigner } from './tokens/signer.js';
export { AppError, type ErrorCode } from './errors.js';
