// The CLI talks to the running daemon over a unix socket: one JSON request, one JSON answer.
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { dirname } from 'node:path'

export type Request =
  /** rescan: walk the cache first (what was written a moment ago counts) */
  | { cmd: 'status'; rescan?: boolean }
  /** pending entries and bytes and the uplink: cheaper than status, polled by `flush --wait` */
  | { cmd: 'progress' }
  | { cmd: 'flush'; wait: boolean; timeoutMs: number; now?: boolean }
  /** limit: a limit until the timetable's next change; null goes back to the timetable; absent only reads */
  | { cmd: 'limit'; limit?: string | null }
  | { cmd: 'evict' }
  | { cmd: 'conflicts' }

/** Answers "is a daemon listening here?" without side effects. */
function probe(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const c = createConnection(path)
    c.once('connect', () => {
      c.destroy()
      resolvePromise(true)
    })
    c.once('error', () => resolvePromise(false))
  })
}

/** Listens on the socket (root only); a stale socket file from a killed daemon is replaced. */
export async function startControlServer(path: string, handle: (req: Request) => Promise<unknown>): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 })
  if (await probe(path)) throw new Error(`another agent is listening on ${path}`)
  try {
    unlinkSync(path)
  } catch {
    // no stale socket
  }
  const server = createServer((conn) => {
    let buf = ''
    conn.setEncoding('utf8')
    conn.on('error', () => {})
    conn.on('data', (chunk: string) => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      const line = buf.slice(0, nl)
      buf = ''
      let req: Request
      try {
        req = JSON.parse(line) as Request
      } catch {
        conn.end(JSON.stringify({ ok: false, error: 'bad request' }) + '\n')
        return
      }
      handle(req).then(
        (result) => conn.end(JSON.stringify({ ok: true, result }) + '\n'),
        (err: unknown) => conn.end(JSON.stringify({ ok: false, error: (err as Error).message ?? String(err) }) + '\n'),
      )
    })
  })
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolvePromise())
  })
  chmodSync(path, 0o600)
  return server
}

/** Sends one request; null when no daemon listens (the CLI then works offline where it can). */
export function callAgent<T>(path: string, req: Request, timeoutMs = 30_000): Promise<T | null> {
  return new Promise((resolvePromise, reject) => {
    const c = createConnection(path)
    let buf = ''
    let connected = false
    const timer = setTimeout(() => {
      c.destroy()
      reject(new Error(`agent did not answer within ${timeoutMs / 1000}s`))
    }, timeoutMs)
    c.setEncoding('utf8')
    c.on('connect', () => {
      connected = true
      c.write(JSON.stringify(req) + '\n')
    })
    c.on('data', (d: string) => (buf += d))
    c.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) resolvePromise(null)
      else reject(err)
    })
    c.on('end', () => {
      clearTimeout(timer)
      try {
        const answer = JSON.parse(buf) as { ok: boolean; result?: T; error?: string }
        if (answer.ok) resolvePromise(answer.result as T)
        else reject(new Error(answer.error ?? 'agent error'))
      } catch {
        reject(new Error('agent closed the connection without an answer'))
      }
    })
  })
}
