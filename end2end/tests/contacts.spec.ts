import { expect, test } from "@playwright/test";
import { contactsUser, password, receivedCode, receivedCount, totpSecret } from "./fixtures";
import { totp } from "./totp";

// Contacts on the account page, with JavaScript off (plain form posts): add a phone number and
// an email address, each confirmed by the code sent to it, make the email the recovery
// address, and remove the phone number.
test.describe("contacts, JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("add and confirm a phone and an email, choose the recovery address, remove one", async ({ page }, info) => {
    test.skip(info.project.name !== "phone", "one account, on the phone viewport");
    await page.goto("/login");
    await page.getByLabel("Username").fill(contactsUser);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
    const app = page.getByRole("region", { name: "Authenticator app" });
    await app.getByLabel("6-digit code").fill(totp(totpSecret));
    await app.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/account$/);

    const contacts = page.getByRole("region", { name: "Your email addresses and phone numbers" });
    const list = contacts.getByRole("list", { name: "Your contacts" });
    await expect(list.getByRole("listitem")).toHaveCount(1);
    await expect(list).toContainText(`${contactsUser}@example.org (Email, confirmed, recovery address)`);

    // A malformed number is refused with a clear message, and nothing is added.
    await contacts.getByLabel("Phone number", { exact: true }).fill("601 000 301");
    await contacts.getByRole("region", { name: "Add a phone number" }).getByRole("button", { name: "Add and send a code" }).click();
    await expect(page.getByRole("alert")).toContainText("international form");
    await expect(list.getByRole("listitem")).toHaveCount(1);

    const phone = "+420601000301";
    let before = await receivedCount(phone);
    await contacts.getByLabel("Phone number", { exact: true }).fill("+420 601 000 301");
    await contacts.getByRole("region", { name: "Add a phone number" }).getByRole("button", { name: "Add and send a code" }).click();
    await expect(list).toContainText("+420 601 000 301 (Phone, not confirmed yet)");
    await list.getByLabel("Code sent to +420 601 000 301").fill(await receivedCode(phone, before));
    await list.getByRole("button", { name: "Confirm +420 601 000 301" }).click();
    await expect(list).toContainText("+420 601 000 301 (Phone, confirmed)");

    const email = "erin.new@example.org";
    before = await receivedCount(email);
    await contacts.getByLabel("Email address", { exact: true }).fill(email);
    await contacts.getByRole("region", { name: "Add an email address" }).getByRole("button", { name: "Add and send a code" }).click();
    await list.getByLabel(`Code sent to ${email}`).fill(await receivedCode(email, before));
    await list.getByRole("button", { name: `Confirm ${email}` }).click();
    await expect(list).toContainText(`${email} (Email, confirmed)`);
    await list.getByRole("button", { name: `Use as recovery address: ${email}` }).click();
    await expect(list).toContainText(`${email} (Email, confirmed, recovery address)`);
    await expect(list).toContainText(`${contactsUser}@example.org (Email, confirmed)`);
    await expect(list.getByRole("button", { name: `Use as recovery address: ${contactsUser}@example.org` })).toBeVisible();

    await list.getByText("Remove +420 601 000 301", { exact: true }).click();
    await list.getByRole("button", { name: "Yes, remove +420 601 000 301" }).click();
    await expect(list.getByRole("listitem")).toHaveCount(2);
    await expect(list).not.toContainText("+420 601 000 301");
  });
});
