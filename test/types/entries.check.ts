// Compile-time proof that the Node and web entries export the same names with the same public
// shapes, so that one type declaration (the web entry's) can describe both. `npm run typecheck`
// fails if they drift.

import type * as NodeEntry from '../../src/node/index.ts'
import type * as WebEntry from '../../src/web/index.ts'

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

// Classes are compared by their public surface: private fields make two classes nominally
// distinct even when their callers cannot tell them apart.
type Shape<T> = T extends abstract new (...args: infer P) => infer I
  ? { params: P; instance: Pick<I, keyof I>; statics: Pick<T, Exclude<keyof T, 'prototype'>> }
  : T

type Node = typeof NodeEntry
type Web = typeof WebEntry

type Mismatched = {
  [K in keyof Web]: K extends keyof Node
    ? Mutual<Shape<Node[K]>, Shape<Web[K]>> extends true
      ? never
      : K
    : K
}[keyof Web]

export const sameNames: Mutual<keyof Node, keyof Web> = true
export const sameShapes: [Mismatched] extends [never] ? true : Mismatched = true
