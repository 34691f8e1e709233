/**
 * The message for an AccessDenied from AssumeRoleWithWebIdentity: the role's trust policy did not
 * accept the token. It shows what the token says and a condition that would accept it; never the token.
 */
import {
  conditionJson,
  conditionKeyPrefix,
  describeClaims,
  suggestedCondition,
  type TokenClaims,
} from './claims.js';
import { roleArnParts } from './validate.js';

export function accessDeniedMessage(
  roleArn: string,
  summary: string,
  claims: TokenClaims | undefined,
): string {
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
    lines.push(
      `A trust policy statement with this condition lets every job of ${scope} in (narrow the sub pattern to a branch or an environment as you need):`,
      conditionJson(condition, '  '),
    );
  }
  const parts = roleArnParts(roleArn);
  const provider = conditionKeyPrefix(claims.iss);
  const principal =
    parts === undefined
      ? `the IAM OIDC identity provider for ${provider}`
      : `"Principal": {"Federated": "arn:${parts.partition}:iam::${parts.account}:oidc-provider/${provider}"}`;
  lines.push(
    `The statement needs ${principal} and "Action": "sts:AssumeRoleWithWebIdentity". Also check that the role ARN is right.`,
  );
  return lines.join('\n');
}
