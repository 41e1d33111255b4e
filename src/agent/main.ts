// Bundle entry: the installed /usr/local/bin/gfs-writecache runs this. It exits once main is done: a probe
// of a gv0 client that hangs may still wait in libuv's pool (fs/answer-probe.ts) and would keep it alive.
import { main } from './service/cli.ts'

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gfs-writecache: ${(err as Error).message ?? String(err)}\n`)
    process.exit(1)
  },
)
