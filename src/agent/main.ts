// Bundle entry: the installed /usr/local/bin/gfs-writecache runs this.
import { main } from './service/cli.ts'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`gfs-writecache: ${(err as Error).message ?? String(err)}\n`)
    process.exitCode = 1
  },
)
