// The accounts start-server.sh creates for the browser tests. Keep the two in step.
export const user = {
  username: "e2e-user",
  password: "e2e sign-in passphrase",
  displayName: "Erin Example",
  totpSecret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
};
