# cmake -DOUT=<file> -DSRC=<native dir> -P digest.cmake
# Writes "sha256  name" for every kernel source and the flags file, sorted by name: the record of
# which sources the committed PTX was built from (checked by PtxUpToDateTest on every machine).
file(GLOB inputs RELATIVE "${SRC}" "${SRC}/*.cu" "${SRC}/*.cuh" "${SRC}/nvcc-flags.txt")
list(SORT inputs)
set(text "")
foreach(f IN LISTS inputs)
  file(SHA256 "${SRC}/${f}" h)
  string(APPEND text "${h}  ${f}\n")
endforeach()
file(WRITE "${OUT}" "${text}")
