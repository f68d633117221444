// Entry point of `pulumi up`: the stack's outputs are this module's exports.
import { loadConfig } from "./config";
import { program } from "./program";

export = program(loadConfig());
