// Boost.Asio, Asio SSL and Boost.Beast compiled once, here (BOOST_*_SEPARATE_COMPILATION), so
// that the server's translation unit stays small and the build stays fast (docs/design.md §8).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
