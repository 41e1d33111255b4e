// The one place where shell text is built: every interpolated value is quoted, secrets are masked.
import { Secret } from '../inventory/types.ts'

/** Shell text that is inserted as it is (operators, redirections): only ever from literals in our code. */
export class Raw {
  constructor(readonly text: string) {}
}

export type ShellArg = string | number | boolean | Secret | Raw | readonly ShellArg[]

/** Quote one word for a POSIX shell so that it arrives intact and never executes. */
export function quote(word: string): string {
  if (word === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** Insert shell text verbatim: for fixed operators such as pipes, never for data. */
export function raw(text: string): Raw {
  return new Raw(text)
}

function render(arg: ShellArg, reveal: boolean): string {
  if (arg instanceof Raw) return arg.text
  if (arg instanceof Secret) return reveal ? quote(arg.value) : '***'
  if (Array.isArray(arg)) return arg.map((a) => render(a, reveal)).join(' ')
  return quote(String(arg))
}

export interface ShellText {
  /** what is sent to the host */
  script: string
  /** what may be shown to the user: secrets masked */
  display: string
}

/** Tagged template that quotes every value: sh`mkdir -p ${dir}`. */
export function shell(strings: TemplateStringsArray, ...values: ShellArg[]): ShellText {
  let script = strings[0]
  let display = strings[0]
  values.forEach((value, i) => {
    script += render(value, true) + strings[i + 1]
    display += render(value, false) + strings[i + 1]
  })
  return { script, display }
}

/** Join several pieces of shell text with an operator such as ' && ' or '; '. */
export function joinShell(parts: readonly ShellText[], separator: string): ShellText {
  return {
    script: parts.map((p) => p.script).join(separator),
    display: parts.map((p) => p.display).join(separator),
  }
}
