/**
 * {@code bin/cairn}: the operator and client command line over {@link dev.cairn.client.CairnClient}
 * (picocli). {@link dev.cairn.cli.CairnCli} is the entry point (in-process callable for tests);
 * {@link dev.cairn.cli.CairnCommand} holds the global options; every subcommand extends
 * {@link dev.cairn.cli.ClientCommand}, which builds the client, maps failures to the exit codes of
 * {@link dev.cairn.cli.ExitCodes}, and hands it an {@link dev.cairn.cli.Output} for human text or
 * {@code --json}. A new command (trim, trash ls/restore, hold add/rm, gc, policy simulate, trim
 * log) is one more class registered in {@link dev.cairn.cli.CairnCommand}'s subcommand list;
 * commands with their own subcommands (trash, hold, policy) nest the same way.
 */
package dev.cairn.cli;
