// gzip (RFC 1952) compression of a rendered exposition, for scrapers that send Accept-Encoding:
// gzip.
#pragma once

#include <string>
#include <string_view>

namespace rex::expo {

// Compresses `in` into a gzip member. Level 1: scrapes want speed, and text compresses ~10x anyway.
std::string gzip_compress(std::string_view in, int level = 1);

// Decompresses a gzip member (used by tests and tools). Throws std::runtime_error on bad input.
std::string gzip_decompress(std::string_view in);

}  // namespace rex::expo
