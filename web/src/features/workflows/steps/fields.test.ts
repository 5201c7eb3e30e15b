import { describe, expect, it } from "vitest";

import { asNumber, asText, errorsAt, problemsElsewhere, withKey } from "./fields";

const at = (sub: string, message: string) => ({ field: `steps[0].${sub}`, message, sub });

describe("problems beside their fields", () => {
  const problems = [at("config.retries.count", "too many"), at("config.retries", "not an object"), at("config.approvers[1].value", "no user"), at("config.approvers", "empty")];

  it("joins a field's messages, naming the path inside it", () => {
    expect(errorsAt(problems, "config.retries")).toBe("count: too many not an object");
    expect(errorsAt(problems, "config.approvers[1]")).toBe("value: no user");
    expect(errorsAt(problems, "config.retries.count")).toBe("too many");
    expect(errorsAt(problems, "config.timeout_seconds")).toBeUndefined();
  });

  it("does not take a field for one that only starts alike", () => {
    expect(errorsAt([at("config.retries_max", "x")], "config.retries")).toBeUndefined();
  });

  it("lists above the form what no field of the step's type shows, and type problems", () => {
    const list = [at("id", "taken"), at("config.expression", "does not parse"), at("config.channel", "stray"), at("type", "unknown"), at("", "unreachable")];
    expect(problemsElsewhere("condition", list).map((p) => p.message)).toEqual(["stray", "unknown", "unreachable"]);
    expect(problemsElsewhere("notification", list).map((p) => p.message)).toEqual(["does not parse", "unknown", "unreachable"]);
  });
});

describe("config values in text fields", () => {
  it("shows values as text and reads numbers back, keeping what is not one", () => {
    expect([asText(undefined), asText(null), asText(3), asText("x")]).toEqual(["", "", "3", "x"]);
    expect(asNumber(" 42 ")).toBe(42);
    expect(asNumber("4x")).toBe("4x");
    expect(asNumber("  ")).toBeUndefined();
  });

  it("sets a key, or removes it for undefined, without touching the config", () => {
    const config = { seconds: 60, until: "x" };
    expect(withKey(config, "seconds", 5)).toEqual({ seconds: 5, until: "x" });
    expect(withKey(config, "until", undefined)).toEqual({ seconds: 60 });
    expect(config).toEqual({ seconds: 60, until: "x" });
  });
});
