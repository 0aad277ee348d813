/** LDAP distinguished names (RFC 4514), as the rootDSE probe and the directory enumerators read them. */

/** `DC=lab,DC=test` -> `lab.test` (null when the DN has no DC components). */
export function domainOfDn(dn: string): string | null {
  const parts = dn.split(',').map((p) => p.trim()).filter((p) => /^dc=/i.test(p)).map((p) => p.slice(3));
  return parts.length ? parts.join('.').toLowerCase() : null;
}
