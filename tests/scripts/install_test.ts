/** Item 15 of issue 14: `deno task install` says how to put sa on PATH. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pathAdvice } from "../../scripts/install.ts";
import { withTempDir } from "../cli/_helpers.ts";

const SCRIPT = fileURLToPath(new URL("../../scripts/install.ts", import.meta.url));

Deno.test("deno task install into a folder off PATH: installs sa and says which line to add", async () => {
  await withTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", SCRIPT, "--root", dir],
      env: { PATH: "/usr/bin:/bin", SHELL: "/bin/bash" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const bin = join(dir, "bin");
    assert.equal(
      stdout,
      `Installed sa in ${bin}\n` +
        `sa is installed in ${bin}, which is not on your PATH yet. Add this line to ~/.bashrc, ` +
        `then open a new terminal:\n  export PATH="${bin}:$PATH"\n` +
        `(until then, run it as ${bin}/sa)\n`,
    );
    const version = await new Deno.Command(join(bin, "sa"), {
      args: ["--version"],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(version.stdout), "sa 0.1.0\n");
  });
});

Deno.test("pathAdvice: nothing when the folder is on PATH; zsh and fish get their own line", () => {
  assert.equal(pathAdvice("/h/.deno/bin", "/usr/bin:/h/.deno/bin/", "/bin/bash"), null);
  assert.match(pathAdvice("/h/.deno/bin", "/usr/bin", "/bin/zsh")!, /to ~\/\.zshrc,/);
  assert.match(
    pathAdvice("/h/.deno/bin", "/usr/bin", "/usr/bin/fish")!,
    /config\.fish, then open a new terminal:\n {2}fish_add_path \/h\/\.deno\/bin\n/,
  );
});
