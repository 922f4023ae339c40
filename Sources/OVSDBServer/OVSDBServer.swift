import NIOCore
import NIOPosix
import OVSDB
