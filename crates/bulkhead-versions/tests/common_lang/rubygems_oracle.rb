# Oracle for tests/lang_versions.rs: Gem::Version#<=>.
# Usage: ruby rubygems_oracle.rb PAIRS. PAIRS holds lines `HEX_A,HEX_B` (UTF-8, hex-encoded). One
# output line per pair: `<`, `=`, `>`, or `E` (malformed version). The first output line is
# `# rubygems <version>`.
require 'rubygems'

out = ["# rubygems #{Gem::VERSION}"]
File.foreach(ARGV[0]) do |line|
  line = line.chomp
  next if line.empty?
  ha, hb = line.split(',', -1)
  a = [ha].pack('H*').force_encoding('UTF-8')
  b = [hb].pack('H*').force_encoding('UTF-8')
  out << begin
    c = Gem::Version.new(a) <=> Gem::Version.new(b)
    c.nil? ? 'E' : (c.negative? ? '<' : (c.positive? ? '>' : '='))
  rescue StandardError
    'E'
  end
end
puts out
