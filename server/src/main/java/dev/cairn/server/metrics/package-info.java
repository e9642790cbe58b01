/** Prometheus text-format metrics on their own HTTP port. */
package dev.cairn.server.metrics;
