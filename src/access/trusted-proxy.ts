/**
 * A trusted proxy's identity header (Kubeflow's `kubeflow-userid`, set by Istio / oauth2-proxy after its own
 * sign-in). Off unless configured; when addresses are configured, the header counts only on connections from them
 * (anyone else could send it too), and is otherwise ignored. A prefix the proxy adds
 * (`accounts.google.com:`) is removed; a value without it names nobody.
 */
import type { Principal, RequestCredentials } from './principal';

export interface TrustedProxyOptions {
  /** Lower-case header name. */
  header: string;
  prefix?: string;
  /** The proxy's IP addresses; empty: any peer (only behind a network policy that lets nothing else in). */
  addresses: readonly string[];
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class TrustedProxy {
  private readonly addresses: ReadonlySet<string>;

  constructor(private readonly options: TrustedProxyOptions) {
    this.addresses = new Set(options.addresses.map(plainAddress));
  }

  /** The principal the proxy names, or undefined (no header, a peer that is not the proxy, no prefix). */
  principalOf(credentials: RequestCredentials): Principal | undefined {
    const value = credentials.header(this.options.header);
    if (value === undefined || value === '') return undefined;
    if (this.addresses.size > 0) {
      const peer = credentials.remoteAddress;
      if (peer === undefined || !this.addresses.has(plainAddress(peer))) return undefined;
    }
    const prefix = this.options.prefix ?? '';
    if (!value.startsWith(prefix) || value.length === prefix.length) return undefined;
    return { name: value.slice(prefix.length), groups: [], source: 'trusted-proxy' };
  }
}
