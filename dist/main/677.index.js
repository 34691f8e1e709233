export const id = 677;
export const ids = [677];
export const modules = {

/***/ 8677:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  assumeRoleWithWebIdentity: () => (/* binding */ assumeRoleWithWebIdentity)
});

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-sts/dist-cjs/index.js
var dist_cjs = __webpack_require__(1695);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(17);
// EXTERNAL MODULE: ./src/login/retry.ts
var retry = __webpack_require__(8835);
// EXTERNAL MODULE: ./src/login/aws/claims.ts
var aws_claims = __webpack_require__(5850);
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


// EXTERNAL MODULE: ./src/login/aws/validate.ts + 1 modules
var validate = __webpack_require__(2647);
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
    lines.push('The token says:', (0,aws_claims/* describeClaims */.Zs)(claims, '  '));
    const condition = (0,aws_claims/* suggestedCondition */.Fs)(claims);
    if (condition !== undefined) {
        const scope = claims.repository === undefined ? 'this repository' : claims.repository;
        lines.push(`A trust policy statement with this condition lets every job of ${scope} in (narrow the sub pattern to a branch or an environment as you need):`, (0,aws_claims/* conditionJson */.Cc)(condition, '  '));
    }
    const parts = (0,validate/* roleArnParts */.uB)(roleArn);
    const provider = (0,aws_claims/* conditionKeyPrefix */.ps)(claims.iss);
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
        const claims = (0,aws_claims/* decodeClaims */.Yq)(token);
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


/***/ })

};
