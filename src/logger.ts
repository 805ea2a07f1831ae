// pino JSON logs. Secrets never reach a line: credentials in config and Authorization headers are redacted.
// Every line has each key once (log pipelines resolve a repeated key differently): the process names
// itself as `service`, a part of it as `component`, and a message's text is always `msg`.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The levels LOG_LEVEL accepts. */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-ci-security-token"]',
  'req.headers["x-cos-security-token"]',
  'headers.authorization',
  'config.s3SecretAccessKey',
  'config.ciSecretKey',
  's3SecretAccessKey',
  'ciSecretKey',
  'secretAccessKey',
  'config.credentials[*].secretKey',
  'config.credentials[*].sessionToken',
  'credentials[*].secretKey',
  'credentials[*].sessionToken',
  'config.callbackSigningKey',
  'config.s3.secretAccessKey',
  'config.api.security.ciSecretKey',
  'config.api.security.credentials[*].secretKey',
  'config.api.security.credentials[*].sessionToken',
  'config.callbacks.signingKey',
  's3.secretAccessKey',
  'security.ciSecretKey',
  'security.credentials[*].secretKey',
  'security.credentials[*].sessionToken',
  'callbacks.signingKey',
  'callbackSigningKey',
  'signingKey',
];

/** The process's logger; lines go to stdout unless a destination is given. */
export function createLogger(level: LogLevel, service: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The logger of one part of a process that runs several (the API and the worker of `npm start`). */
export function componentLogger(logger: Logger, component: 'api' | 'worker'): Logger {
  return logger.child({ component });
}
