#!/usr/bin/env node
// A certified OpenID Connect relying party (openid-client) driven by the integration tests.
//
//   node rp.mjs start  --issuer URL --client-id ID [--client-secret S] --redirect-uri URI
//                      [--scope "openid email profile"] [--extra k=v ...]
//     -> {"url", "state", "nonce", "code_verifier"}
//   node rp.mjs finish --issuer URL --client-id ID [--client-secret S] --redirect-uri URI
//                      --callback-url FULL_URL --state S --nonce N --code-verifier V [--max-age SECONDS]
//     -> {"claims", "userinfo", "token_type", "scope"}
//
// Output is one JSON object on stdout. On any error: {"error": "...", ...} and exit code 1, no stack trace.
// With --client-secret the client authenticates with client_secret_basic, without it it is a public client.
// Plain http is allowed only for loopback issuers (the tests run the bridge on http://127.0.0.1).
import { parseArgs } from 'node:util';
import * as client from 'openid-client';

const COMMON = {
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'redirect-uri': { type: 'string' },
};

const COMMANDS = {
  start: {
    options: {
      ...COMMON,
      scope: { type: 'string', default: 'openid email profile' },
      extra: { type: 'string', multiple: true, default: [] },
    },
    required: ['issuer', 'client-id', 'redirect-uri'],
    run: start,
  },
  finish: {
    options: {
      ...COMMON,
      'callback-url': { type: 'string' },
      state: { type: 'string' },
      nonce: { type: 'string' },
      'code-verifier': { type: 'string' },
      'max-age': { type: 'string' },
    },
    required: ['issuer', 'client-id', 'redirect-uri', 'callback-url', 'state', 'nonce', 'code-verifier'],
    run: finish,
  },
};

class UsageError extends Error {}

function isLoopback(url) {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

async function configure(opts) {
  const issuer = new URL(opts.issuer);
  const secret = opts['client-secret'];
  const execute = [];
  if (issuer.protocol === 'http:') {
    if (!isLoopback(issuer)) {
      throw new UsageError(`plain http is allowed only for loopback issuers (got '${opts.issuer}')`);
    }
    execute.push(client.allowInsecureRequests);
  }
  const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
  const metadata = { redirect_uris: [opts['redirect-uri']] };
  return client.discovery(issuer, opts['client-id'], metadata, auth, { execute });
}

async function start(opts) {
  const config = await configure(opts);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: opts['redirect-uri'],
    scope: opts.scope,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  for (const pair of opts.extra) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--extra must be key=value (got '${pair}')`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const url = client.buildAuthorizationUrl(config, params);
  return { url: url.href, state, nonce, code_verifier: codeVerifier };
}

async function finish(opts) {
  const config = await configure(opts);
  const checks = {
    pkceCodeVerifier: opts['code-verifier'],
    expectedState: opts.state,
    expectedNonce: opts.nonce,
    idTokenExpected: true,
  };
  if (opts['max-age'] !== undefined) {
    const maxAge = Number(opts['max-age']);
    if (!Number.isInteger(maxAge) || maxAge < 0) {
      throw new UsageError(`--max-age must be a non-negative integer (got '${opts['max-age']}')`);
    }
    checks.maxAge = maxAge;
  }
  const tokens = await client.authorizationCodeGrant(config, new URL(opts['callback-url']), checks);
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { claims, userinfo, token_type: tokens.token_type, scope: tokens.scope ?? null };
}

function errorReport(err) {
  const report = { error: err instanceof Error ? err.message : String(err) };
  if (err && typeof err === 'object') {
    if (typeof err.code === 'string') report.code = err.code;
    // OAuth error responses (token endpoint, userinfo, or error parameters in the callback URL).
    if (typeof err.error === 'string') report.oauth_error = err.error;
    if (typeof err.error_description === 'string') report.error_description = err.error_description;
    if (typeof err.status === 'number') report.status = err.status;
    if (err.cause instanceof Error && err.cause.message) report.cause = err.cause.message;
    // WWW-Authenticate challenges: [{scheme, parameters: {error, error_description, ...}}].
    if (Array.isArray(err.cause)) {
      report.challenges = err.cause;
      const params = err.cause.find((c) => c?.parameters?.error)?.parameters;
      if (params && report.oauth_error === undefined) {
        report.oauth_error = params.error;
        if (params.error_description) report.error_description = params.error_description;
      }
    }
  }
  return report;
}

async function main(argv) {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`usage: rp.mjs start|finish [options] (got '${name ?? ''}')`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err.message);
  }
  const missing = command.required.filter((key) => values[key] === undefined);
  if (missing.length) throw new UsageError(`missing option(s): ${missing.map((k) => `--${k}`).join(', ')}`);
  return command.run(values);
}

try {
  process.stdout.write(`${JSON.stringify(await main(process.argv.slice(2)))}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify(errorReport(err))}\n`);
  process.exitCode = 1;
}
