/**
 * The Cairn daemon {@code cairnd}: {@link dev.cairn.server.CairnDaemon} wires the tenants' stores,
 * the protocol listener ({@code net}), the metrics endpoint ({@code metrics}) and the
 * configuration ({@code config}); {@code tenant} maps tokens to isolated stores.
 */
package dev.cairn.server;
