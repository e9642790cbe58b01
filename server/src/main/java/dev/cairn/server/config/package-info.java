/** cairn.yaml: the strict file model ({@code ConfigFile}), its loader and the validated {@code DaemonConfig}. */
package dev.cairn.server.config;
