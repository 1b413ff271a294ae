// Snowball's stemmers in C (Debian: libstemmer-dev), used for Russian and English search.
#include <libstemmer.h>
