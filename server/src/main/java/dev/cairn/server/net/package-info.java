/**
 * The protocol listener: Netty pipeline stages ({@code RequestHandler} is the only handler with
 * logic, and it only delegates), per-connection state and flow control ({@code Connection}), and
 * the plain code that turns requests into store calls on the worker pool ({@code Operations},
 * {@code Streams}).
 */
package dev.cairn.server.net;
