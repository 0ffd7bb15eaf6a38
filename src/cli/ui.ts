/** `scripts/lab ui`: a stub until the live web page lands (another change replaces this file). */
export async function runUi(stack: string, opts: { port?: number }): Promise<number> {
  void opts;
  throw new Error(`ui ${stack}: not built yet`);
}
