# Writes OUT, a header defining BCBENCH_BUILD_COMMIT: the source tree's git
# commit when this build ran ("+dirty" when tracked files differed from it;
# "unknown" outside a git checkout). Run at every build; OUT is rewritten only
# when its content changes, so an unchanged commit recompiles nothing.
#   cmake -DSRC=<source dir> -DOUT=<header> -P build_commit.cmake
execute_process(COMMAND git -C "${SRC}" rev-parse HEAD
  OUTPUT_VARIABLE commit RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
    OUTPUT_VARIABLE changes RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT rc EQUAL 0 OR NOT changes STREQUAL "")
    set(commit "${commit}+dirty")
  endif()
endif()
set(content "// Generated at build time by cmake/build_commit.cmake.\n#define BCBENCH_BUILD_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
