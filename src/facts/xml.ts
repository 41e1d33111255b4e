// A small reader for the XML that `gluster ... --xml` prints: elements and text, no attributes needed.

export interface XmlNode {
  name: string
  text: string
  children: XmlNode[]
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') return String.fromCodePoint(code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10))
    return entities[code] ?? whole
  })
}

/** Parse an XML document into a tree; throws on unbalanced tags. */
export function parseXml(source: string): XmlNode {
  const root: XmlNode = { name: '#document', text: '', children: [] }
  const stack = [root]
  const tag = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g
  for (const match of source.matchAll(tag)) {
    const [, closing, name, selfClosing, text] = match
    const top = stack[stack.length - 1]!
    if (text !== undefined) {
      top.text += decode(text)
    } else if (name && closing) {
      if (top.name !== name) throw new Error(`unexpected </${name}> inside <${top.name}>`)
      top.text = top.text.trim()
      stack.pop()
    } else if (name) {
      const node: XmlNode = { name, text: '', children: [] }
      top.children.push(node)
      if (!selfClosing) stack.push(node)
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`)
  return root
}

/** The first descendant at a slash-separated path of element names. */
export function find(node: XmlNode, path: string): XmlNode | undefined {
  return findAll(node, path)[0]
}

/** All descendants at a slash-separated path of element names. */
export function findAll(node: XmlNode, path: string): XmlNode[] {
  let level = [node]
  for (const name of path.split('/')) level = level.flatMap((n) => n.children.filter((c) => c.name === name))
  return level
}

/** Text of the first element at a path, or undefined. */
export function textAt(node: XmlNode, path: string): string | undefined {
  return find(node, path)?.text
}
