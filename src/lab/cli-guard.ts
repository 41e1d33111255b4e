// Imported first by the CLI: a LabError raised while modules load (a bad GFS_LAB_INSTANCE) becomes a
// one-line message and exit code 1 instead of a stack trace.
import { LabError } from './errors.ts'

process.on('uncaughtException', (err: unknown) => {
  if (!(err instanceof LabError)) throw err
  console.error(`lab: ${err.message}`)
  if (err.hint) console.error(err.hint)
  process.exit(1)
})
