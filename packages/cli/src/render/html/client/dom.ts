/** Tiny DOM helpers: elements built with createElement/textContent, so data never meets an HTML parser. */

export const SVGNS = 'http://www.w3.org/2000/svg';

/** What `h` accepts as children. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Element properties: `text` sets textContent, `style` an object, `on…` listeners, the rest attributes. */
export interface Props {
  text?: string | number | undefined;
  class?: string | undefined;
  style?: Partial<CSSStyleDeclaration> | undefined;
  [attribute: string]: unknown;
}

/** An HTML element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  setProps(e, props);
  for (const c of children) add(e, c);
  return e;
}

/** An SVG element with props. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, props?: Props | null): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  setProps(e, props);
  return e;
}

function setProps(e: HTMLElement | SVGElement, props: Props | null | undefined): void {
  if (!props) return;
  for (const k of Object.keys(props)) {
    const v = props[k];
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'class') e.setAttribute('class', String(v));
    else if (k === 'style') Object.assign(e.style, v);
    else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v as EventListener);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Appends a child (or a list of them); null, undefined and false add nothing. */
export function add(e: Element, c: Child): void {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) {
    for (const x of c) add(e, x);
    return;
  }
  e.append(c instanceof Node ? c : String(c));
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}
