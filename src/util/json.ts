/**
 * JSON from outside the process (files, command output, HTTP bodies) is read
 * through a zod schema: a shape we did not expect fails here, naming what was
 * being read and each mismatch, instead of as an undefined deep inside.
 */
import type { z } from "zod";

/** One line per issue: where (a dotted path) and what is wrong. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join(".") : "(whole value)"}: ${i.message}`);
}

const excerpt = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);

/** Checks a value against `schema`; throws naming `what` and every issue. */
export function checkShape<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = describeIssues(r.error.issues);
  throw new Error(`${what} is not what was expected:\n  - ${lines.join("\n  - ")}`);
}

/** Parses JSON text and checks it against `schema`; throws naming `what` (and the text, if it is not JSON). */
export function parseJson<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON (${e instanceof Error ? e.message : String(e)}): ${excerpt(text)}`);
  }
  return checkShape(schema, value, what);
}

/**
 * A flat object's problems, one line per field, in the words its schema gives
 * as each field's error (what is valid): "field: missing (valid)", "field:
 * expected valid, got value", "field: unknown field; valid fields: ...".
 * A custom issue whose params say `{ plain: true }` is given as it is.
 */
export function fieldProblems(
  issues: readonly z.core.$ZodIssue[],
  input: Record<string, unknown>,
  fields: readonly string[],
): string[] {
  return issues.flatMap((i) => {
    if (i.code === "unrecognized_keys") {
      return i.keys.map((k) => `${k}: unknown field; valid fields: ${fields.join(", ")}`);
    }
    const field = String(i.path[0] ?? "(whole value)");
    if (i.code === "custom" && (i.params as { plain?: boolean } | undefined)?.plain)
      return [`${field}: ${i.message}`];
    if (!(field in input)) return [`${field}: missing (${i.message})`];
    return [`${field}: expected ${i.message}, got ${JSON.stringify(input[field])}`];
  });
}
