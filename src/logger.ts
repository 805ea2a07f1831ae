// pino JSON logs. Secrets never reach a line: credentials in config and Authorization headers are redacted.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export const REDACT_PATHS = [
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
  'callbackSigningKey',
  'signingKey',
];

export function createLogger(level: LogLevel, service: string): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
