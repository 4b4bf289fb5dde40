/**
 * Access control from the command line: which identities are accepted (flags), where the policy and the API token
 * file are, and loading both at start-up and again on SIGHUP. Off unless --access_policy_file is given; every
 * identity flag needs it (an identity nobody can be granted anything for is a mistake), and the policy needs at
 * least one identity (else nobody could call anything).
 */
import * as fs from 'node:fs';
import { AccessControl } from '../access/access-control';
import { ApiTokens } from '../access/api-tokens';
import type { Identities } from '../access/authenticate';
import { CERTIFICATE_NAMES, type CertificateName } from '../access/client-certificate';
import { FailureLimiter } from '../access/failure-limiter';
import type { OidcOptions } from '../access/oidc';
import { Policy } from '../access/policy';
import { TrustedProxy, type TrustedProxyOptions } from '../access/trusted-proxy';
import type { Logger } from '../logger';
import type { SslConfig } from '../server/tls';
import type { Flags } from './flags';

export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 10;

export interface AccessPlan {
  policyFile: string;
  oidc?: OidcOptions;
  apiTokensFile?: string;
  clientCertificates?: CertificateName;
  trustedProxy?: TrustedProxyOptions;
  failuresPerMinute: number;
}

/** A configuration error the CLI reports (ConfigError in config.ts wraps it). */
export class AccessConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessConfigError';
  }
}

const IDENTITY_FLAGS = [
  'oidc_issuer',
  'oidc_audience',
  'oidc_principal_claim',
  'oidc_groups_claim',
  'oidc_clock_skew_seconds',
  'api_tokens_file',
  'client_cert_principal',
  'trusted_proxy_header',
  'trusted_proxy_prefix',
  'trusted_proxy_addresses',
  'auth_failures_per_minute',
] as const;

/** The access plan the flags describe; undefined when access control is off. */
export function accessPlanOf(flags: Flags, tls: SslConfig | undefined): AccessPlan | undefined {
  const policyFile = flags.access_policy_file;
  const given = IDENTITY_FLAGS.filter((f) => flags[f] !== undefined);
  if (policyFile === undefined || policyFile === '') {
    if (given.length > 0) {
      throw new AccessConfigError(`${given.map((f) => `--${f}`).join(', ')} need(s) --access_policy_file`);
    }
    return undefined;
  }
  let oidc: OidcOptions | undefined;
  if (flags.oidc_issuer !== undefined || flags.oidc_audience !== undefined) {
    if (!flags.oidc_issuer || !flags.oidc_audience) {
      throw new AccessConfigError('--oidc_issuer and --oidc_audience go together');
    }
    try {
      new URL(flags.oidc_issuer);
    } catch {
      throw new AccessConfigError(`--oidc_issuer must be a URL; got "${flags.oidc_issuer}"`);
    }
    oidc = {
      issuer: flags.oidc_issuer,
      audience: flags.oidc_audience,
      principalClaim: flags.oidc_principal_claim,
      groupsClaim: flags.oidc_groups_claim,
      clockSkewSeconds: flags.oidc_clock_skew_seconds,
    };
  }
  const certs = flags.client_cert_principal;
  if (certs !== undefined) {
    if (!(CERTIFICATE_NAMES as readonly string[]).includes(certs)) {
      throw new AccessConfigError(`--client_cert_principal must be one of ${CERTIFICATE_NAMES.join(', ')}`);
    }
    if (!tls?.clientVerify) {
      throw new AccessConfigError('--client_cert_principal needs ssl_config with client_verify: true (mTLS)');
    }
  }
  let trustedProxy: TrustedProxyOptions | undefined;
  if (flags.trusted_proxy_header) {
    trustedProxy = {
      header: flags.trusted_proxy_header.toLowerCase(),
      prefix: flags.trusted_proxy_prefix,
      addresses: (flags.trusted_proxy_addresses ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    };
  } else if (flags.trusted_proxy_prefix !== undefined || flags.trusted_proxy_addresses !== undefined) {
    throw new AccessConfigError('--trusted_proxy_prefix and --trusted_proxy_addresses need --trusted_proxy_header');
  }
  const plan: AccessPlan = {
    policyFile,
    oidc,
    apiTokensFile: flags.api_tokens_file || undefined,
    clientCertificates: certs as CertificateName | undefined,
    trustedProxy,
    failuresPerMinute: flags.auth_failures_per_minute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
  };
  if (!plan.oidc && !plan.apiTokensFile && !plan.clientCertificates && !plan.trustedProxy) {
    throw new AccessConfigError(
      '--access_policy_file needs at least one identity: --oidc_issuer, --api_tokens_file, --client_cert_principal or --trusted_proxy_header',
    );
  }
  if (plan.failuresPerMinute < 1) throw new AccessConfigError('--auth_failures_per_minute must be at least 1');
  return plan;
}

function readPolicy(file: string, tenants: readonly string[]): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AccessConfigError(`cannot read the access policy ${file}: ${(e as Error).message}`);
  }
  try {
    return Policy.parse(text, tenants);
  } catch (e) {
    throw new AccessConfigError(`the access policy ${file} is not valid: ${(e as Error).message}`);
  }
}

function readApiTokens(file: string): ApiTokens {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AccessConfigError(`cannot read the API token file ${file}: ${(e as Error).message}`);
  }
  try {
    return ApiTokens.parse(text);
  } catch (e) {
    throw new AccessConfigError(`the API token file ${file} is not valid: ${(e as Error).message}`);
  }
}

export interface LoadedAccess {
  control: AccessControl;
  /** Reads the policy and the token file again; on any error keeps the old ones and says why. */
  reload(): void;
}

/**
 * Loads the files (AccessConfigError when one is missing or invalid) and builds the decision point. `tenants` are
 * the server's tenants: a policy naming any other is refused. The JOSE library is an ES module, which Node loads
 * from CommonJS only from 20.19 on: it is loaded when OpenID Connect is configured.
 */
export async function loadAccess(plan: AccessPlan, log: Logger, tenants: readonly string[]): Promise<LoadedAccess> {
  let tokens = plan.apiTokensFile === undefined ? undefined : readApiTokens(plan.apiTokensFile);
  const policy = readPolicy(plan.policyFile, tenants);
  const identities: Identities = {
    oidc: plan.oidc && new (await import('../access/oidc')).OidcVerifier(plan.oidc),
    apiTokens: tokens && (() => tokens!),
    clientCertificates: plan.clientCertificates,
    trustedProxy: plan.trustedProxy && new TrustedProxy(plan.trustedProxy),
  };
  const limiter = new FailureLimiter({ burst: 2 * plan.failuresPerMinute, perMinute: plan.failuresPerMinute });
  const control = new AccessControl(identities, policy, log, limiter);
  return {
    control,
    reload() {
      try {
        // Both read before either is swapped in: a bad token file leaves the old policy too.
        const policy = readPolicy(plan.policyFile, tenants);
        const newTokens = plan.apiTokensFile === undefined ? undefined : readApiTokens(plan.apiTokensFile);
        control.setPolicy(policy);
        tokens = newTokens;
        log.info(
          { policy_file: plan.policyFile, tenants: policy.tenantNames(), api_tokens: newTokens?.size },
          'access policy reloaded',
        );
      } catch (e) {
        log.error(`access policy not reloaded, the previous one stays in force: ${(e as Error).message}`);
      }
    },
  };
}
