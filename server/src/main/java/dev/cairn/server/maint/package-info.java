/**
 * The daemon side of trimming and garbage collection: {@code Maintenance} runs the gc module's
 * engines on a tenant's store with the daemon's clock, policies and GC options and records their
 * metrics (the wire handlers and the scheduler both go through it); {@code GcScheduler} runs trim
 * and GC on the schedule of {@code gc.schedule} in cairn.yaml.
 */
package dev.cairn.server.maint;
