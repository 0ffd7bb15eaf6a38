// Lines for the long-lived `bridge -batch -` and `ip -batch -` channels.
// Each builder checks its arguments: some parse errors end the batch process
// even with -force, so a bad token must never be written.
// extern_learn marks an entry as ours (controller-installed) in the kernel;
// entries without it are never touched.
//
// Deletes: `bridge fdb del` reports a missing entry and goes on, but a kernel
// error on `ip neigh del` ends `ip -batch` even with -force (exit 2), so an
// ND entry is removed with a flush of exactly its /128, a no-op when absent.

import { isIP } from "node:net";
import { parseIpv6, parseMac } from "./addr";

export type Channel = "bridge" | "ip";

export interface BatchLine {
  channel: Channel;
  line: string;
}

const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

function mac(m: string): string {
  const v = parseMac(m);
  if (v !== m) throw new Error(`refusing batch line: bad MAC ${JSON.stringify(m)}`);
  return v;
}
function ip6(a: string): string {
  const v = parseIpv6(a);
  if (v !== a) throw new Error(`refusing batch line: bad IPv6 ${JSON.stringify(a)}`);
  return v;
}
// an adopted entry may point anywhere; deleting it must still work
function dstAddr(a: string): string {
  if (isIP(a) === 0 || !/^[0-9a-fA-F:.]+$/.test(a))
    throw new Error(`refusing batch line: bad dst ${JSON.stringify(a)}`);
  return a;
}
function dev(d: string): string {
  if (!IFNAME_RE.test(d)) throw new Error(`refusing batch line: bad device ${JSON.stringify(d)}`);
  return d;
}

export const fdbReplace = (m: string, d: string, dst: string): BatchLine => ({
  channel: "bridge",
  line: `fdb replace ${mac(m)} dev ${dev(d)} dst ${ip6(dst)} self permanent extern_learn`,
});

/** append, not replace: one multicast MAC has a dst per VTEP */
export const fdbAppend = (m: string, d: string, dst: string): BatchLine => ({
  channel: "bridge",
  line: `fdb append ${mac(m)} dev ${dev(d)} dst ${ip6(dst)} self permanent extern_learn`,
});

/** always with dst: removes only our remote, never another one on the same MAC */
export const fdbDel = (m: string, d: string, dst: string): BatchLine => ({
  channel: "bridge",
  line: `fdb del ${mac(m)} dev ${dev(d)} dst ${dstAddr(dst)} self`,
});

export const neighReplace = (a: string, m: string, d: string): BatchLine => ({
  channel: "ip",
  line: `neigh replace ${ip6(a)} lladdr ${mac(m)} dev ${dev(d)} nud permanent extern_learn`,
});

export const neighDel = (a: string, d: string): BatchLine => ({
  channel: "ip",
  line: `neigh flush to ${ip6(a)}/128 dev ${dev(d)} nud all`,
});
