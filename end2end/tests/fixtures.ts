// The accounts start-server.sh creates for the browser tests. Keep the two in step.
//
// A TOTP code is accepted once (replay protection), so tests that sign in in parallel each use
// an account of their own: `${name}-${project}`.
export const password = "e2e sign-in passphrase";
export const displayName = "Erin Example";
export const totpSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
export const tokenLabel = "Authenticator app";
export const tokenDevice = "Pixel 7";

export const user = {
  username: "e2e-user",
  password,
  displayName,
  totpSecret,
};

/** The account a test of this project (viewport) uses for `name`. */
export function account(name: string, project: string): string {
  return `${name}-${project}`;
}
