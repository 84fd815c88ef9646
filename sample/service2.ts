import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { GatewayAuthConfigError } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { SampleConfigError, type SampleAdapter } from './sample-config.js';

/** Service 2 could not start listening (port in use, not allowed); the message says what to do. */
export class Service2StartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Service2StartError';
  }
}

export interface Service2Options {
  /** Where the gateway settings are read from (see `gatewayOptionsFromEnv`). */
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly host: string;
  /** Nest's log levels. @default ['log', 'error', 'warn'] */
  readonly logLevels?: LogLevel[];
  /** Close the application on SIGINT/SIGTERM (Nest's shutdown hooks). @default false */
  readonly shutdownHooks?: boolean;
  /** The HTTP platform (see `adapterFromEnv`). @default 'express' */
  readonly adapter?: SampleAdapter;
}

export interface Service2 {
  readonly app: INestApplication;
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Creates Service 2 from `AppModule.forEnv(env)` and starts listening.
 *
 * Nest's logs are held back until the application listens: when startup fails, the caller gets
 * the error (a `SampleConfigError`, the library's `GatewayAuthConfigError`, or a
 * `Service2StartError`) and can print it alone, without Nest's stack trace before it.
 */
export async function startService2(options: Service2Options): Promise<Service2> {
  const appModule = AppModule.forEnv(options.env);
  const appOptions = {
    logger: options.logLevels ?? ['log', 'error', 'warn'],
    abortOnError: false,
    bufferLogs: true,
    autoFlushLogs: false,
  };
  const app =
    options.adapter === 'fastify'
      ? await NestFactory.create(appModule, await fastifyAdapter(), appOptions)
      : await NestFactory.create(appModule, appOptions);
  if (options.shutdownHooks === true) app.enableShutdownHooks();
  try {
    await app.listen(options.port, options.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw toStartError(error, options);
  }
  app.flushLogs();

  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { app, url: `http://${host}:${port}`, port, close: () => app.close() };
}

/** Loaded only when asked for: an Express service does not load Fastify. */
async function fastifyAdapter(): Promise<FastifyAdapter> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return new FastifyAdapter();
}

function toStartError(error: unknown, options: Service2Options): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${options.host}:${options.port}`;
  if (code === 'EADDRINUSE') {
    return new Service2StartError(
      `Service 2 cannot listen on ${where}: the port is already in use. ` +
        'Stop whatever is listening there, or set PORT to a free port.',
      { cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new Service2StartError(
      `Service 2 cannot listen on ${where} (${code}): use a port above 1023 and an address of ` +
        'this machine (HOST, default 127.0.0.1).',
      { cause: error },
    );
  }
  return error;
}

/**
 * Prints why a start failed and sets exit code 1: the message alone for the expected failures
 * (settings, a busy port), with the stack for anything else.
 */
export function reportStartFailure(error: unknown, what: string): void {
  if (
    error instanceof SampleConfigError ||
    error instanceof GatewayAuthConfigError ||
    error instanceof Service2StartError
  ) {
    console.error(error.message);
  } else {
    console.error(`${what} failed:`, error);
  }
  process.exitCode = 1;
}
