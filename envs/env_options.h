// Parsing of the string options that build an env (EnvOptions), shared by every
// env so that each reports a bad key or value the same way: naming the option,
// the value and what would be valid.
#pragma once

#include <string>
#include <vector>

#include "envs/env.h"

namespace bcbench {

// Checks that every key of `options` is in `valid`; throws EnvError listing them.
void CheckOptionKeys(const std::string& env_name, const EnvOptions& options,
                     const std::vector<std::string>& valid);
// The option's value, or `fallback` when it is absent.
std::string OptionOr(const EnvOptions& options, const std::string& key,
                     const std::string& fallback);
// `value` if it is one of `valid`; else throws EnvError naming env, key, value
// and the valid values.
std::string CheckChoice(const std::string& env_name, const std::string& key,
                        const std::string& value, const std::vector<std::string>& valid);
// A whole decimal integer in [low, high]; else throws EnvError that names the
// range and the default.
int ParseIntOption(const std::string& env_name, const std::string& key, const std::string& text,
                   int low, int high, int fallback);

// The options every env takes, parsed the same way everywhere:
// action_mode (absolute | delta, default absolute) and max_steps (a positive
// integer, default `default_max_steps`).
ActionMode ParseActionModeOption(const std::string& env_name, const EnvOptions& options);
int ParseMaxStepsOption(const std::string& env_name, const EnvOptions& options,
                        int default_max_steps);

}  // namespace bcbench
