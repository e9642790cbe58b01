/** Tokens to tenants, one store per tenant: isolation (dedup included) by construction. */
package dev.cairn.server.tenant;
