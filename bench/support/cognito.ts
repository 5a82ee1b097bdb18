/** One Cognito user-pool API call (JSON 1.1 over POST /), as the benches' setup makes them. */
export async function cognitoCall(endpoint: string, action: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${action}: ${JSON.stringify(json)}`);
  return json;
}
