/**
 * Where a server keeps its sessions between a client's connections. The hub
 * (./hub.ts) adds a session when it starts, finds it by id when a client
 * resumes, and removes it when it ends (the client ended it, it expired,
 * the application closed it).
 *
 * Sessions are live objects (handlers, timers, held messages), so a store
 * keeps them in this process: a custom store can bound or count them, or
 * log their lives, but not carry them across a restart or to another
 * process. A client whose server restarted is told its session was lost.
 *
 * Owns: SessionStore, memoryStore(). Imports: the session type.
 */
import type { ServerSession } from './session.js';

export interface SessionStore {
  get(id: string): ServerSession | undefined;
  set(id: string, session: ServerSession): void;
  delete(id: string): void;
  /** Sessions held (attached or waiting for a resume). */
  readonly size: number;
  values(): Iterable<ServerSession>;
}

/** The default store: a Map in memory. */
export function memoryStore(): SessionStore {
  return new Map<string, ServerSession>();
}
