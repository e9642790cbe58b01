/**
 * The protocol listener: Netty pipeline stages ({@code RequestHandler} is the only handler with
 * logic, and it only delegates), per-connection state and flow control ({@code Connection}), and
 * the plain code that turns requests into store calls on the worker pool ({@code Operations},
 * {@code Streams}; {@code MaintenanceOps} for trim, trash, holds, tags, GC, simulation and the trim
 * log, through {@code dev.cairn.server.maint.Maintenance}).
 */
package dev.cairn.server.net;
