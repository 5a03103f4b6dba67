/**
 * A structural view of the domhandler nodes cheerio builds, and the few iterative walks the HTML
 * extractor needs. cheerio's public types refer to `domhandler`, which is not one of our declared
 * dependencies, so we describe the fields we read ourselves; cheerio's nodes satisfy these
 * interfaces structurally. Walks use explicit stacks: hostile markup can be arbitrarily deep.
 */

export interface DomNode {
  /** `text`, `tag`, `script`, `style`, `comment`, `directive`, `cdata` or `root`. */
  readonly type: string;
  parent: DomNode | null;
}

export interface DomText extends DomNode {
  data: string;
}

export interface DomElement extends DomNode {
  /** Lower-case tag name. */
  name: string;
  attribs: Record<string, string>;
  children: DomNode[];
}

export function isElement(node: DomNode): node is DomElement {
  // `script` and `style` are elements too (domhandler gives them their own node types).
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

export function elementsOf(nodes: readonly DomNode[]): DomElement[] {
  return nodes.filter(isElement);
}

export function isText(node: DomNode): node is DomText {
  return node.type === 'text';
}

export function hasChildren(node: DomNode): node is DomNode & { children: DomNode[] } {
  return Array.isArray((node as { children?: unknown }).children);
}

export function textContent(el: DomElement): string {
  const out: string[] = [];
  const stack: DomNode[] = [el];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (isText(node)) out.push(node.data);
    else if (hasChildren(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
    }
  }
  return out.join('');
}

/** Whether some element below `el` satisfies `test`. */
export function hasDescendantWhere(el: DomElement, test: (node: DomElement) => boolean): boolean {
  const stack: DomNode[] = [...el.children];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (!isElement(node)) continue;
    if (test(node)) return true;
    for (const child of node.children) stack.push(child);
  }
  return false;
}

/** First element named `name` in document order (iteratively), skipping SVG subtrees. */
export function findFirst(root: DomNode, name: string): DomElement | undefined {
  const stack: DomNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (isElement(node)) {
      if (node.name === name) return node;
      if (node.name === 'svg') continue; // an SVG's <title> is a tooltip, not the page's title
    }
    if (hasChildren(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
    }
  }
  return undefined;
}

/** The child element named `name`. */
export function childNamed(node: DomNode | undefined, name: string): DomElement | undefined {
  if (node === undefined || !hasChildren(node)) return undefined;
  for (const child of node.children) if (isElement(child) && child.name === name) return child;
  return undefined;
}
