import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { AppContext } from "../session.js";

/** The "Examples:" block every command's --help ends with. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

const TOPICS: Record<string, { summary: string; text: string }> = {
  "exit-codes": {
    summary: "what each exit code of oto means",
    text: `oto exits with:

  0    success
  1    failure: the server refused the request, could not be reached, or failed
  2    usage: unknown command or option, a bad value, input that is missing when
       oto cannot prompt (no terminal, CI, --no-input or --json), or a declined
       confirmation
  4    authentication: not logged in, or the API key is unknown or revoked
  130  interrupted with Ctrl-C

Errors are printed on stderr as one line, "oto: error: …", sometimes followed by
a hint. Add --verbose (or set DEBUG=oto) to see each HTTP call and stack traces.
`,
  },
  environment: {
    summary: "environment variables and files oto reads",
    text: `Environment variables:

  OTO_SERVER       the server URL (the --server option wins over it)
  OTO_API_KEY      an API key to use instead of the stored credentials
  OTO_CONFIG_DIR   where config.json and credentials.json live
                   (default: $XDG_CONFIG_HOME/oto, else ~/.config/oto)
  NO_COLOR         no colors (like --no-color; TERM=dumb too)
  CI               no prompts and no spinners
  DEBUG=oto        log HTTP calls and show stack traces (like --verbose)

The server is chosen in this order: --server, OTO_SERVER, "server" in
config.json, the server of the stored credentials, http://127.0.0.1:4000.
The API key: OTO_API_KEY, then credentials.json (written by oto login and
oto register, readable by you only). Stored credentials are sent only to the
server that issued them.

oto server start reads the server's variables too: OTO_HOST, OTO_PORT,
OTO_DATA_DIR, DATABASE_URL, OTO_LOG_LEVEL, OTO_DEMO=1 (seed a demo wall when the
database has no accounts), … (its options win over them).
`,
  },
};

export function registerHelpCommand(program: Command, ctx: AppContext): void {
  const topicList = Object.entries(TOPICS)
    .map(([name, topic]) => `  ${name.padEnd(14)}${topic.summary}`)
    .join("\n");
  program.addHelpText("after", `\nHelp topics (oto help <topic>):\n${topicList}\n`);

  program
    .command("help")
    .description("Show help for a command or a topic")
    .argument("[topic...]", "a command (like: keys list) or a topic (exit-codes, environment)")
    .addHelpText("after", examples(["oto help login", "oto help keys revoke", "oto help exit-codes"]))
    .action((words: string[]) => {
      const [first] = words;
      if (!first) return program.outputHelp();
      const topic = TOPICS[first];
      if (topic && words.length === 1) {
        ctx.io.stdout.write(topic.text);
        return;
      }
      let target: Command = program;
      for (const word of words) {
        const next = target.commands.find((sub) => sub.name() === word || sub.aliases().includes(word));
        if (!next) {
          throw new UsageError(
            `no help for "${words.join(" ")}".`,
            `Commands: ${program.commands.map((sub) => sub.name()).join(", ")}. Topics: ${Object.keys(TOPICS).join(", ")}.`,
          );
        }
        target = next;
      }
      target.outputHelp();
    });
}
