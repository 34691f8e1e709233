export const id = 942;
export const ids = [942];
export const modules = {

/***/ 9942:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  applyWrites: () => (/* binding */ applyWrites),
  renewalFor: () => (/* binding */ renewalFor)
});

// UNUSED EXPORTS: describeTargets, netrcWrites

// EXTERNAL MODULE: ./src/config/netrc.ts
var config_netrc = __webpack_require__(3906);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 20 modules
var core = __webpack_require__(3218);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(17);
;// CONCATENATED MODULE: ./src/login/aws/claims.ts
/**
 * What a GitHub OIDC token says about the job, read without verifying it (AWS does that): enough to
 * explain an AccessDenied and to suggest the trust policy condition that would let the job in.
 */
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const claims_text = (value) => typeof value === 'string' && value !== '' ? value : undefined;
/** The payload of a JWT (`header.payload.signature`), or undefined when it is not one. */
function decodeClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[1] === undefined || !/^[A-Za-z0-9_-]+$/u.test(parts[1]))
        return undefined;
    let payload;
    try {
        payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    }
    catch {
        return undefined;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
        return undefined;
    const c = payload;
    const aud = Array.isArray(c.aud) ? c.aud.map(claims_text) : [claims_text(c.aud)];
    return {
        iss: claims_text(c.iss),
        sub: claims_text(c.sub),
        aud: aud.filter((a) => a !== undefined),
        repository: claims_text(c.repository),
        ref: claims_text(c.ref),
        environment: claims_text(c.environment),
        jobWorkflowRef: claims_text(c.job_workflow_ref),
        exp: typeof c.exp === 'number' && Number.isFinite(c.exp) ? c.exp * 1000 : undefined,
    };
}
/**
 * The prefix of IAM condition keys for the issuer: its URL without the scheme or a trailing slash
 * (`token.actions.githubusercontent.com`, or with GitHub Enterprise's path `…/enterprise`).
 */
function conditionKeyPrefix(issuer) {
    const iss = issuer ?? GITHUB_ISSUER;
    return iss.replace(/^[a-z][a-z0-9+.-]*:\/\//iu, '').replace(/\/+$/u, '');
}
/**
 * The `sub` pattern for the whole repository: `repo:OWNER/REPO:*` (also in the `OWNER@ID/REPO@ID` form);
 * the exact `sub` when it is not a repository subject.
 */
function repositorySubjectPattern(sub) {
    const m = /^(repo:[^:]+):/u.exec(sub);
    return m === null ? sub : `${m[1] ?? ''}:*`;
}
/** The trust policy condition that lets every job of the token's repository in, with this audience. */
function suggestedCondition(claims) {
    const aud = claims.aud[0];
    if (claims.sub === undefined || aud === undefined)
        return undefined;
    const key = conditionKeyPrefix(claims.iss);
    return {
        stringEquals: { [`${key}:aud`]: aud },
        stringLike: { [`${key}:sub`]: repositorySubjectPattern(claims.sub) },
    };
}
/** The condition as the JSON a user pastes into the trust policy, indented by `indent`. */
function conditionJson(condition, indent = '') {
    const entry = (map) => `{${Object.entries(map)
        .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
        .join(', ')}}`;
    return [
        `"Condition": {`,
        `  "StringEquals": ${entry(condition.stringEquals)},`,
        `  "StringLike": ${entry(condition.stringLike)}`,
        `}`,
    ]
        .map((line) => `${indent}${line}`)
        .join('\n');
}
/** The claims as `name: value` lines for a message; absent ones say so. */
function describeClaims(claims, indent = '') {
    const rows = [
        ['sub', claims.sub],
        ['aud', claims.aud.length === 0 ? undefined : claims.aud.join(', ')],
        ['repository', claims.repository],
        ['ref', claims.ref],
        ['environment', claims.environment],
        ['job_workflow_ref', claims.jobWorkflowRef],
        ['iss', claims.iss],
    ];
    return rows.map(([name, value]) => `${indent}${name}: ${value ?? '(none)'}`).join('\n');
}

// EXTERNAL MODULE: ./src/login/oidc.ts
var oidc = __webpack_require__(7536);
// EXTERNAL MODULE: ./src/login/retry.ts
var retry = __webpack_require__(8835);
;// CONCATENATED MODULE: ./src/login/exchange.ts
/**
 * HTTP cache credentials from the GitHub OIDC token: the token traded for an access token at an
 * RFC 8693 token-exchange endpoint, or the token itself. Messages never carry a token.
 */





const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/**
 * Lifetime assumed for a token whose answer has no `expires_in` (RFC 6749 makes it optional): short, so
 * that the refresher renews it every few minutes rather than keep a token the server may already have
 * dropped. Five minutes is also how long GitHub's own OIDC tokens live.
 */
const ASSUMED_LIFETIME_MS = 5 * 60_000;
const ATTEMPT_TIMEOUT_MS = 30_000;
/** The RFC 8693 request form for a GitHub OIDC token. */
function exchangeForm(subjectToken) {
    return new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: ID_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
    });
}
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A successful token response as a credential; throws (without the token) when it is not one. */
function parseTokenResponse(body, now) {
    if (!isRecord(body))
        throw new Error('the answer is not a JSON object');
    const token = body['access_token'];
    if (typeof token !== 'string' || token === '')
        throw new Error('the answer has no access_token');
    const raw = body['expires_in'];
    const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : ASSUMED_LIFETIME_MS;
    return { password: token, expiresAt: now + lifetime };
}
/** A failed attempt: HTTP status (undefined: no answer), whether to retry, and after how long. */
class ExchangeError extends Error {
    status;
    verdict;
    oauthError;
    name = 'ExchangeError';
    constructor(message, status, verdict, 
    /** The OAuth `error` code of a refusal. */
    oauthError) {
        super(message);
        this.status = status;
        this.verdict = verdict;
        this.oauthError = oauthError;
    }
}
const exchangeVerdict = (error) => error instanceof ExchangeError ? error.verdict : { retry: false };
/** The endpoint without user info, query or fragment (they may hold secrets). */
function describeEndpoint(endpoint) {
    try {
        const url = new URL(endpoint);
        return `${url.origin}${url.pathname}`;
    }
    catch {
        return 'the token endpoint (not a valid URL)';
    }
}
function redact(text, secrets) {
    let out = text;
    for (const s of secrets)
        if (s !== '')
            out = out.split(s).join('[redacted]');
    return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}
function causeOf(error) {
    const cause = isRecord(error) ? error['cause'] : undefined;
    const code = isRecord(cause) && typeof cause['code'] === 'string' ? cause['code'] : undefined;
    const name = isRecord(error) && typeof error['name'] === 'string' ? error['name'] : '';
    if (name === 'TimeoutError')
        return 'no answer in time';
    return code ?? (0,errors/* errorMessage */.g)(cause ?? error);
}
/** Classifies an answer that is not a success. */
function failedAnswer(status, text, retryAfter, now, secrets) {
    let oauth = {};
    try {
        const body = JSON.parse(text);
        if (isRecord(body)) {
            oauth = {
                ...(typeof body['error'] === 'string' ? { error: body['error'] } : {}),
                ...(typeof body['error_description'] === 'string' ? { description: body['error_description'] } : {}),
            };
        }
    }
    catch {
        // not JSON: the status says it all
    }
    const said = [oauth.error, oauth.description].filter((s) => s !== undefined).join(': ');
    const detail = redact(said !== '' ? said : (text.trim().split('\n')[0] ?? ''), secrets);
    const message = `HTTP ${status}${detail === '' ? '' : ` ${detail}`}`;
    if (status === 408 || status === 429 || status >= 500) {
        const afterMs = (0,retry/* retryAfterMs */.Vs)(retryAfter, now);
        return new ExchangeError(message, status, afterMs === undefined ? { retry: true } : { retry: true, afterMs }, oauth.error);
    }
    return new ExchangeError(message, status, { retry: false }, oauth.error);
}
function refusalHint(error, target, claims) {
    if (error.status !== undefined && error.status >= 300 && error.status < 400) {
        return 'The endpoint redirected: give its final URL as the token endpoint.';
    }
    if (error.oauthError === 'invalid_request' || error.oauthError === 'unsupported_grant_type') {
        return 'Check that the URL is an RFC 8693 token-exchange endpoint that accepts GitHub OIDC (id_token) subject tokens.';
    }
    return (`Check the endpoint's trust configuration: it must accept GitHub OIDC tokens from issuer ${claims?.iss ?? '?'} ` +
        `for this repository and workflow (the token's sub was "${claims?.sub ?? '?'}") with audience ` +
        `"${target.audience}" (the action's audience input).`);
}
/** One POST: the fresh token in, the credential out; failures as ExchangeError. */
async function attempt(subjectToken, target, doFetch, timeoutMs, timing) {
    let res;
    let text;
    try {
        res = await doFetch(target.endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: exchangeForm(subjectToken).toString(),
            // A redirect could carry the subject token to another host: never followed.
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
    }
    catch (error) {
        throw new ExchangeError(`no answer (${causeOf(error)})`, undefined, { retry: true });
    }
    if (!res.ok)
        throw failedAnswer(res.status, text, res.headers.get('retry-after'), timing.now(), [subjectToken]);
    let body;
    try {
        body = JSON.parse(text);
    }
    catch {
        throw new ExchangeError(`HTTP ${res.status} but the answer is not JSON`, res.status, { retry: false });
    }
    try {
        return parseTokenResponse(body, timing.now());
    }
    catch (error) {
        throw new ExchangeError(`HTTP ${res.status} but ${(0,errors/* errorMessage */.g)(error)}`, res.status, { retry: false });
    }
}
/**
 * Trades a fresh GitHub OIDC token (minted for `audience`, one per attempt) for an access token at an
 * RFC 8693 endpoint. Transient failures (no answer, 408, 429 with its Retry-After, 5xx) are retried
 * within the policy; a refusal (other 4xx) fails at once with the OAuth error and what to check.
 */
async function exchangeToken(mint, target, deps = {}) {
    const timing = deps.timing ?? retry/* realTiming */.$u;
    const doFetch = deps.fetch ?? fetch;
    const where = describeEndpoint(target.endpoint);
    const log = deps.log ??
        ((line) => {
            core.info(line);
        });
    let claims;
    try {
        const credential = await (0,retry/* withRetry */.bD)(`the token exchange at ${where}`, async () => {
            // Minting failures were retried by the mint itself: permanent here (not an ExchangeError).
            const subject = await mint(target.audience);
            claims = decodeClaims(subject);
            return attempt(subject, target, doFetch, deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS, timing);
        }, exchangeVerdict, {
            policy: deps.policy ?? retry/* DEFAULT_RETRY */.vI,
            timing,
            onRetry: (n, delay, error) => {
                log(`Token exchange at ${where}: attempt ${n} failed (${(0,errors/* errorMessage */.g)(error)}); retrying in ${delay} ms`);
            },
        });
        if (deps.mask)
            deps.mask(credential.password);
        else
            core.setSecret(credential.password);
        return credential;
    }
    catch (error) {
        if (error instanceof retry/* RetriesExhausted */.w1) {
            throw new oidc/* CredentialError */.oA(`The token exchange at ${where} failed: ${(0,errors/* errorMessage */.g)(error.cause)} (${error.message}). ` +
                'Check that the URL is right and that the endpoint is reachable from the runner.', true);
        }
        if (error instanceof ExchangeError) {
            throw new oidc/* CredentialError */.oA(`The token exchange at ${where} refused the request: ${error.message}. ${refusalHint(error, target, claims)}`, false);
        }
        throw error;
    }
}
/** The GitHub OIDC token itself as the cache's password, valid until its `exp`. */
async function jwtCredential(mint, audience, now = Date.now) {
    const token = await mint(audience);
    // GitHub's tokens always have `exp`; without one, the assumed short lifetime.
    return { password: token, expiresAt: decodeClaims(token)?.exp ?? now() + ASSUMED_LIFETIME_MS };
}

// EXTERNAL MODULE: ./src/login/aws/files.ts
var aws_files = __webpack_require__(7048);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-sts/dist-cjs/index.js
var dist_cjs = __webpack_require__(1695);
;// CONCATENATED MODULE: ./src/login/aws/sts-errors.ts
/**
 * AWS STS failures as the SDK throws them: which are worth another attempt (throttling, the identity
 * provider out of reach, 5xx, the network), and what each means for the user. Nothing here ever puts
 * the GitHub token or a credential in a message.
 */

const THROTTLING = new Set(['Throttling', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequests']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout']);
/** Node's codes for a request that never got an answer (the SDK's own list, plus ECONNABORTED). */
const NETWORK_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
]);
const VERIFICATION_KEY = /couldn't retrieve verification key/iu;
const field = (value, key) => typeof value === 'object' && value !== null ? value[key] : undefined;
const str = (value) => (typeof value === 'string' ? value : undefined);
const WRAPPER = /^AWS SDK error wrapper for (?:([A-Za-z]\w*): )?([\s\S]*)$/u;
/**
 * Reads an SDK error (`name`, `message`, `$metadata.httpStatusCode`, `$response.headers`, `code`). A
 * Node error from another realm (a VM context) reaches us as the SDK's "AWS SDK error wrapper for
 * <name>: <message>", without its `code`: the name and the code are read back from the text.
 */
function sdkFailure(error) {
    const status = field(field(error, '$metadata'), 'httpStatusCode');
    const headers = field(field(error, '$response'), 'headers');
    let name = str(field(error, 'name')) ?? '';
    let nodeCode = str(field(error, 'code'));
    let message = str(field(error, 'message')) ?? '';
    const wrapped = WRAPPER.exec(message);
    if (wrapped !== null) {
        [, name = 'Error', message = ''] = wrapped;
        nodeCode = /\b(E[A-Z]{3,}(?:_[A-Z]+)?)\b/u.exec(message)?.[1];
    }
    const code = name === '' || name === 'Error' ? (nodeCode ?? name) : name.replace(/(.)Exception$/u, '$1');
    // The SDK's message for a body that is not STS's XML is long, multi-line and about the SDK.
    const unreadable = /Deserialization error|XML parse error/u.test(message);
    return {
        code: unreadable ? 'UnreadableResponse' : code === '' ? 'Error' : code,
        message: unreadable ? 'the answer is not an STS answer' : message,
        status: typeof status === 'number' ? status : undefined,
        retryAfter: str(field(headers, 'retry-after')),
    };
}
/** Transient or permanent, per the STS error catalogue; a server's Retry-After is kept. */
function classifySts(error, now = Date.now()) {
    const f = sdkFailure(error);
    const transient = (f.status !== undefined && (f.status >= 500 || f.status === 429)) ||
        THROTTLING.has(f.code) ||
        TIMEOUTS.has(f.code) ||
        f.code === 'IDPCommunicationError' ||
        (f.code === 'InvalidIdentityToken' && VERIFICATION_KEY.test(f.message)) ||
        (f.status === undefined && NETWORK_CODES.has(f.code));
    if (!transient)
        return { retry: false };
    const afterMs = (0,retry/* retryAfterMs */.Vs)(f.retryAfter, now);
    return afterMs === undefined ? { retry: true } : { retry: true, afterMs };
}
/** Replaces every secret, and anything shaped like a JWT, with a placeholder. */
function scrub(text, secrets) {
    let out = text;
    for (const secret of secrets)
        if (secret.length >= 8)
            out = out.split(secret).join('[redacted]');
    return out.replace(/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/gu, '[token]');
}
/** `Code: message (HTTP 403)` for a message, already scrubbed by the caller. */
function summary(f, message) {
    const http = f.status === undefined ? '' : ` (HTTP ${f.status})`;
    return `${f.code}${message === '' ? '' : `: ${message}`}${http}`;
}
const where = (ctx) => ctx.endpoint === undefined ? `AWS STS in ${ctx.region}` : `the STS endpoint ${ctx.endpoint}`;
/** What a failed AssumeRoleWithWebIdentity means (AccessDenied has its own, richer message). */
function assumeAdvice(f, ctx) {
    switch (f.code) {
        case 'InvalidIdentityToken':
            if (/no openidconnect provider/iu.test(f.message)) {
                return `Create an IAM OIDC identity provider for the token's issuer with the audience '${ctx.audience}' in the role's account, and let the role trust it.`;
            }
            if (/audience/iu.test(f.message)) {
                return `Add '${ctx.audience}' to the audiences (client IDs) of the IAM OIDC identity provider, or ask for the audience it has.`;
            }
            if (VERIFICATION_KEY.test(f.message)) {
                return "AWS could not fetch GitHub's signing keys, usually for a moment: re-run the job.";
            }
            return "Check that the IAM OIDC identity provider's URL is the token's issuer and that the role trusts that provider.";
        case 'ExpiredToken':
            return "The action mints a fresh token right before each call: the runner's clock is probably wrong (check its time synchronisation).";
        case 'IDPRejectedClaim':
            return "Check the conditions of the role's trust policy against the token's claims.";
        case 'IDPCommunicationError':
            return 'AWS could not reach the identity provider to verify the token; this is usually brief: re-run the job.';
        case 'ValidationError':
            if (/duration/iu.test(f.message)) {
                return "Lower the session duration, or raise the role's maximum session duration in IAM (at most 43200 s).";
            }
            return "Check the role ARN, the session name (2 to 64 of letters, digits and +=,.@_-), the session duration (900 to 43200 s, within the role's maximum) and the session policy.";
        case 'MalformedPolicyDocument':
            return 'Fix the session policy: a JSON IAM policy with Version and Statement (Effect, Action, Resource).';
        case 'PackedPolicyTooLarge':
            return 'Shorten the session policy (wildcards in Action and Resource help), or attach a managed policy to the role.';
        case 'RegionDisabled':
            return `Activate STS in ${ctx.region} for the account (IAM account settings), or use another region.`;
        default:
            if (NETWORK_CODES.has(f.code) || TIMEOUTS.has(f.code)) {
                return `Could not talk to ${where(ctx)}: check the region, the endpoint and the runner's network.`;
            }
            if (THROTTLING.has(f.code) || (f.status !== undefined && f.status >= 500)) {
                return 'AWS was busy or failing: re-run the job.';
            }
            return `Check the role ARN and the region (${ctx.region}).`;
    }
}
/** What it means when the session STS just issued fails GetCallerIdentity. */
function identityAdvice(f, ctx) {
    switch (f.code) {
        case 'SignatureDoesNotMatch':
        case 'IncompleteSignature':
        case 'ExpiredToken':
        case 'RequestExpired':
            return "Check the runner's clock, and that the region matches the STS endpoint.";
        case 'InvalidClientTokenId':
            return `The credentials are unknown where they were used: the region (${ctx.region}) or the endpoint may belong to another AWS partition than the role.`;
        case 'AccessDenied':
            return 'An SCP or permissions boundary denies sts:GetCallerIdentity to the role; allow it.';
        default:
            return assumeAdvice(f, ctx);
    }
}


// EXTERNAL MODULE: ./src/login/aws/validate.ts + 2 modules
var validate = __webpack_require__(4276);
;// CONCATENATED MODULE: ./src/login/aws/denied.ts
/**
 * The message for an AccessDenied from AssumeRoleWithWebIdentity: the role's trust policy did not
 * accept the token. It shows what the token says and a condition that would accept it; never the token.
 */


function accessDeniedMessage(roleArn, summary, claims) {
    const lines = [
        `AWS STS denied this job the role ${roleArn} (${summary}): the role's trust policy does not accept this job's token, or the role does not exist.`,
    ];
    if (claims === undefined) {
        lines.push("The token's claims could not be read; check the trust policy's conditions on sub and aud.");
        return lines.join('\n');
    }
    lines.push('The token says:', describeClaims(claims, '  '));
    const condition = suggestedCondition(claims);
    if (condition !== undefined) {
        const scope = claims.repository === undefined ? 'this repository' : claims.repository;
        lines.push(`A trust policy statement with this condition lets every job of ${scope} in (narrow the sub pattern to a branch or an environment as you need):`, conditionJson(condition, '  '));
    }
    const parts = (0,validate/* roleArnParts */.uB)(roleArn);
    const provider = conditionKeyPrefix(claims.iss);
    const principal = parts === undefined
        ? `the IAM OIDC identity provider for ${provider}`
        : `"Principal": {"Federated": "arn:${parts.partition}:iam::${parts.account}:oidc-provider/${provider}"}`;
    lines.push(`The statement needs ${principal} and "Action": "sts:AssumeRoleWithWebIdentity". Also check that the role ARN is right.`);
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/login/aws/sts-failure.ts
/**
 * How a failed login attempt travels: the STS call that failed (made safe at once: no token or
 * credential in it), or the token that could not be minted; and the `ActionError` the user finally reads.
 */




/** A failed STS call, already made safe: the failure's message scrubbed, the token's claims kept. */
class StsCallFailed extends Error {
    phase;
    failure;
    safeMessage;
    claims;
    original;
    name = 'StsCallFailed';
    constructor(phase, failure, safeMessage, claims, original) {
        super(summary(failure, safeMessage));
        this.phase = phase;
        this.failure = failure;
        this.safeMessage = safeMessage;
        this.claims = claims;
        this.original = original;
    }
}
/** The token could not be minted: never retried here (the minter has its own policy). */
class MintFailed extends Error {
    original;
    name = 'MintFailed';
    constructor(original) {
        super((0,errors/* errorMessage */.g)(original));
        this.original = original;
    }
}
function failed(phase, error, secrets, claims) {
    const failure = sdkFailure(error);
    return new StsCallFailed(phase, failure, scrub(failure.message, secrets), claims, error);
}
const sentence = (text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
function safeReason(error) {
    if (error instanceof StsCallFailed) {
        return `${error.phase === 'assume' ? 'AssumeRoleWithWebIdentity' : 'GetCallerIdentity'}: ${error.message}`;
    }
    return scrub((0,errors/* errorMessage */.g)(error), []);
}
/** Any failure of the login as the `ActionError` the user reads. */
function loginError(error, ctx) {
    if (error instanceof retry/* RetriesExhausted */.w1 && error.cause instanceof StsCallFailed) {
        const last = error.cause;
        const advice = last.phase === 'assume' ? assumeAdvice(last.failure, ctx) : identityAdvice(last.failure, ctx);
        return new errors/* ActionError */.l(`${error.message}; the last failure: ${last.message}. ${advice}`);
    }
    if (error instanceof StsCallFailed)
        return failureMessage(error, ctx);
    if (error instanceof MintFailed) {
        if (error.original instanceof errors/* ActionError */.l)
            return error.original;
        return new errors/* ActionError */.l(`Could not get a GitHub OIDC token for the audience '${ctx.audience}': ${scrub(error.message, [])}. The job needs 'permissions: id-token: write'.`);
    }
    if (error instanceof errors/* ActionError */.l)
        return error;
    return new errors/* ActionError */.l(`Logging in to AWS with role ${ctx.roleArn} failed: ${scrub((0,errors/* errorMessage */.g)(error), [])}`);
}
function failureMessage(error, ctx) {
    const said = summary(error.failure, error.safeMessage);
    if (error.phase === 'identity') {
        return new errors/* ActionError */.l(`${sentence(where(ctx))} issued a session for role ${ctx.roleArn}, but GetCallerIdentity with it failed (${said}). ${identityAdvice(error.failure, ctx)}`);
    }
    if (error.failure.code === 'AccessDenied') {
        return new errors/* ActionError */.l(accessDeniedMessage(ctx.roleArn, said, error.claims));
    }
    return new errors/* ActionError */.l(`${sentence(where(ctx))} did not let this job assume role ${ctx.roleArn} (${said}). ${assumeAdvice(error.failure, ctx)}`);
}

;// CONCATENATED MODULE: ./src/login/aws/sts.ts
/**
 * GitHub OIDC → AWS session: AssumeRoleWithWebIdentity with a token minted right before each attempt
 * (tokens live five minutes), then GetCallerIdentity with the new credentials to prove them. The SDK's
 * own retries are off; `withRetry` is the only policy, and it retries transient failures only.
 */






function clientConfig(options, deps) {
    return {
        region: options.region,
        maxAttempts: 1,
        ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
        requestHandler: {
            connectionTimeout: deps.timeouts?.connectMs ?? 5_000,
            requestTimeout: deps.timeouts?.requestMs ?? 20_000,
            throwOnRequestTimeout: true,
        },
    };
}
/**
 * Trades a GitHub OIDC token for an AWS session of `options.roleArn`, proven by GetCallerIdentity.
 * Permanent failures (AccessDenied, an invalid or expired token, validation errors…) throw at once;
 * transient ones are retried with a fresh token. Every failure is an `ActionError` saying what to do.
 */
async function assumeRoleWithWebIdentity(mint, options, deps = {}) {
    const timing = deps.timing ?? retry/* realTiming */.$u;
    const ctx = {
        roleArn: options.roleArn,
        region: options.region,
        endpoint: options.stsEndpoint,
        audience: options.audience,
    };
    const config = clientConfig(options, deps);
    const sts = new dist_cjs/* STSClient */.iM(config);
    const attempt = async () => {
        let token;
        try {
            token = await mint(options.audience);
        }
        catch (error) {
            throw new MintFailed(error);
        }
        const claims = decodeClaims(token);
        let assumed;
        try {
            assumed = await sts.send(new dist_cjs/* AssumeRoleWithWebIdentityCommand */.WH({
                RoleArn: options.roleArn,
                RoleSessionName: options.sessionName,
                WebIdentityToken: token,
                ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
                ...(options.policy === undefined ? {} : { Policy: options.policy }),
            }));
        }
        catch (error) {
            throw failed('assume', error, [token], claims);
        }
        const c = assumed.Credentials;
        const { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, } = c ?? {};
        if (!accessKeyId || !secretAccessKey || !sessionToken || c?.Expiration === undefined) {
            throw new errors/* ActionError */.l(`${sentence(where(ctx))} answered AssumeRoleWithWebIdentity for role ${options.roleArn} without complete credentials; check the STS endpoint.`);
        }
        const prover = new dist_cjs/* STSClient */.iM({ ...config, credentials: { accessKeyId, secretAccessKey, sessionToken } });
        let identity;
        try {
            identity = await prover.send(new dist_cjs/* GetCallerIdentityCommand */.zI({}));
        }
        catch (error) {
            throw failed('identity', error, [token, secretAccessKey, sessionToken], claims);
        }
        finally {
            prover.destroy();
        }
        if (!identity.Arn || !identity.Account) {
            throw new errors/* ActionError */.l(`${sentence(where(ctx))} answered GetCallerIdentity without an ARN or an account.`);
        }
        return {
            accessKeyId,
            secretAccessKey,
            sessionToken,
            expiresAt: c.Expiration.getTime(),
            arn: identity.Arn,
            account: identity.Account,
        };
    };
    try {
        return await (0,retry/* withRetry */.bD)(`AssumeRoleWithWebIdentity for role ${options.roleArn}`, attempt, (error) => error instanceof StsCallFailed ? classifySts(error.original, timing.now()) : { retry: false }, {
            timing,
            ...(deps.policy === undefined ? {} : { policy: deps.policy }),
            onRetry: (n, delayMs, error) => deps.onRetry?.(n, delayMs, safeReason(error)),
        });
    }
    catch (error) {
        throw loginError(error, ctx);
    }
    finally {
        sts.destroy();
    }
}

;// CONCATENATED MODULE: ./src/login/refresh/aws.ts
/**
 * Renewing the AWS session: a fresh GitHub token (the refresher's own mint), AssumeRoleWithWebIdentity
 * again, and our profile rewritten in each pair of AWS shared files (root's for the daemon, the job
 * user's for `nix copy`), every other profile kept byte for byte.
 *
 * Exported credentials: with `aws-export-credentials`, later steps got main's session as
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN through GITHUB_ENV. The runner reads that
 * file only from the step that writes it, so a detached process cannot update those variables: they keep
 * the first session until it expires. Only the profile in the files is renewed; that is left as it is.
 */




/**
 * The refresher's loop does the retrying (until the current session expires), so each renewal makes one
 * STS attempt. Two attempts are allowed only so that a transient failure reaches `onRetry`, which ends
 * the call there with a transient CredentialError (see below) before any wait or second attempt.
 */
const ONE_ROUND = { baseMs: 0, maxDelayMs: 0, totalMs: Number.MAX_SAFE_INTEGER, maxAttempts: 2 };
/**
 * Our profile with the new session in each credentials file, and its region in each config file (put
 * back only if a step removed it: the text is otherwise unchanged).
 */
function awsWrites(files, region, session) {
    return files.flatMap((file) => [
        {
            owner: file.owner,
            path: file.credentials,
            mode: file.mode,
            render: (current) => (0,aws_files/* withProfile */.oO)(current, aws_files/* AWS_PROFILE_NAME */.UG, session),
        },
        {
            owner: file.owner,
            path: file.config,
            mode: file.mode,
            render: (current) => (0,aws_files/* withProfileConfig */.Un)(current, aws_files/* AWS_PROFILE_NAME */.UG, region),
        },
    ]);
}
/**
 * One STS exchange, its failure as the loop needs it: a CredentialError that is transient (throttling,
 * 5xx, the network, the identity provider out of reach: try again) or not (AccessDenied after a trust
 * policy change, an invalid token, a validation error: give up at once). Messages never hold a secret.
 */
async function assumeOnce(mint, audience, role, deps) {
    const assume = deps.assumeRole ?? assumeRoleWithWebIdentity;
    try {
        return await assume(mint, {
            roleArn: role.roleArn,
            region: role.region,
            sessionName: role.sessionName,
            durationSeconds: role.durationSeconds,
            policy: role.policy,
            stsEndpoint: role.stsEndpoint,
            exportCredentials: false,
            audience,
        }, {
            policy: ONE_ROUND,
            ...(deps.timeouts === undefined ? {} : { timeouts: deps.timeouts }),
            // Told only about failures worth another try (`reason` is safe to log): thrown from here, the
            // error leaves the exchange as it stands (an ActionError passes the login's error mapping).
            onRetry: (_n, _delay, reason) => {
                throw new oidc/* CredentialError */.oA(`${reason} (role ${role.roleArn})`, true);
            },
        });
    }
    catch (error) {
        // A token that could not be minted keeps the minter's own verdict; any other ActionError is the
        // exchange failing permanently. Anything else is unexpected: the loop tries again.
        if (error instanceof oidc/* CredentialError */.oA || !(error instanceof errors/* ActionError */.l))
            throw error;
        throw new oidc/* CredentialError */.oA(error.message, false);
    }
}
/** The renewal of an AWS session of `role` into `files`. */
function awsRenewal(audience, role, files, mint, deps = {}) {
    return {
        what: `AWS session of role ${role.roleArn}`,
        async renew() {
            const session = await assumeOnce(mint, audience, role, deps);
            return { writes: awsWrites(files, role.region, session), expiresAt: session.expiresAt };
        },
    };
}

;// CONCATENATED MODULE: ./src/login/refresh/renewal.ts



/** The cache's entry in each netrc file, every other machine's entry kept. */
function netrcWrites(netrc, password) {
    return netrc.files.map((file) => ({
        ...file,
        render: (current) => (0,config_netrc/* mergeNetrc */.HJ)(current, { machine: netrc.machine, login: netrc.login, password }),
    }));
}
/** Writes each file atomically (read, render, write), in order. */
async function applyWrites(files, writes) {
    for (const w of writes) {
        const current = await files.read(w.owner, w.path);
        await files.write(w.owner, w.path, w.render(current), w.mode);
    }
}
function httpRenewal(what, netrc, obtain) {
    return {
        what,
        async renew() {
            const credential = await obtain();
            return { writes: netrcWrites(netrc, credential.password), expiresAt: credential.expiresAt };
        },
    };
}
/** The renewal the spec asks for. */
function renewalFor(spec, deps) {
    switch (spec.kind) {
        case 'github-jwt':
            return httpRenewal(`GitHub OIDC token for ${spec.netrc.machine}`, spec.netrc, () => jwtCredential(deps.mint, spec.audience));
        case 'token-exchange':
            return httpRenewal(`exchanged token for ${spec.netrc.machine}`, spec.netrc, () => exchangeToken(deps.mint, { endpoint: spec.endpoint, audience: spec.audience }, deps.exchange));
        case 'aws':
            return awsRenewal(spec.audience, spec.role, spec.files, deps.mint, deps.aws);
    }
}
/** For the refresher's first log line: the files it rewrites (never their contents). */
function describeTargets(spec) {
    switch (spec.kind) {
        case 'github-jwt':
        case 'token-exchange':
            return `${spec.netrc.files.length} netrc file(s)`;
        case 'aws':
            return `${spec.files.length} pair(s) of AWS credentials and config files`;
    }
}


/***/ })

};
