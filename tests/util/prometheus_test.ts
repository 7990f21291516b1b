import { assertEquals, assertThrows } from "../stream/_assert.ts";
import { PromText } from "../../lib/util/prometheus.ts";
import { promtoolCheck } from "./_promtool.ts";

const PROMTOOL_OK = await Deno.stat("/usr/bin/promtool").then(() => true, () => false);

Deno.test("PromText: escapes label values, renders summaries, refuses a family twice", async () => {
  const p = new PromText();
  p.family("x_total", "counter", "A counter.").sample({ l: 'a"b\\c\nd' }, 1);
  p.family("y_seconds", "summary", "A summary.").sample({}, 1.5, "_sum").sample({}, 3, "_count");
  p.family("z", "gauge", "A gauge.").sample({}, NaN).sample({ k: "1" }, Infinity);
  assertThrows(() => p.family("z", "gauge", "again"), Error, "declared twice");
  assertEquals(
    p.text(),
    [
      "# HELP x_total A counter.",
      "# TYPE x_total counter",
      'x_total{l="a\\"b\\\\c\\nd"} 1',
      "# HELP y_seconds A summary.",
      "# TYPE y_seconds summary",
      "y_seconds_sum 1.5",
      "y_seconds_count 3",
      "# HELP z A gauge.",
      "# TYPE z gauge",
      "z NaN",
      'z{k="1"} +Inf',
      "",
    ].join("\n"),
  );
  if (PROMTOOL_OK) await promtoolCheck(p.text());
});
