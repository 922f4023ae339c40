/* CLinux is headers only; SwiftPM needs one source file. */
