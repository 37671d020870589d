import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** A feature's HTTP routes: registered by the app factory with the runtime. */
export type RoutePlugin = (app: FastifyInstance, runtime: Runtime) => void | Promise<void>;
